// TODO: batch_norm2d reference and dispatch
