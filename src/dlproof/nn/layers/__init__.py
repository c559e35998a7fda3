"""Layers (Modules). Every layer documents its formula and shapes; defaults as PyTorch."""

from dlproof.nn.layers.activation import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from dlproof.nn.layers.attention import MultiheadAttention
from dlproof.nn.layers.conv import Conv1d, Conv2d, ConvTranspose2d
from dlproof.nn.layers.dropout import Dropout, Embedding
from dlproof.nn.layers.linear import Flatten, Identity, Linear
from dlproof.nn.layers.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from dlproof.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from dlproof.nn.layers.rnn import GRU, LSTM, RNN
from dlproof.nn.layers.transformer import TransformerEncoderLayer

__all__ = [
    "Identity",
    "Linear",
    "Flatten",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Dropout",
    "Embedding",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Hardtanh",
    "Softmax",
    "LogSoftmax",
    "RNN",
    "LSTM",
    "GRU",
    "MultiheadAttention",
    "TransformerEncoderLayer",
]
