"""Notebook 04, your turn: the output size of a transposed convolution."""


def transposed_size(size_in, kernel_size, strides, padding, output_padding):
    # each of the size_in inputs stamps a kernel, strides apart; padding is cut from both sides
    return (size_in - 1) * strides + kernel_size - 2 * padding + output_padding
