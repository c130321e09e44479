// TODO: loss reference and dispatch
