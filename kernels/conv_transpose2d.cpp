// TODO: conv_transpose2d reference and dispatch
