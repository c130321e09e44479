// TODO: adam reference and dispatch
