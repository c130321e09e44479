// TODO: instance_norm2d reference and dispatch
