// TODO: conv2d reference and dispatch
