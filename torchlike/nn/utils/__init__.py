"""torchlike implementation of :mod:`torch.nn.utils`."""

from __future__ import annotations

from . import clip_grad, convert_parameters, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad", "clip_grad_norm_", "clip_grad_value_", "convert_parameters",
           "parameters_to_vector", "rnn", "vector_to_parameters"]
