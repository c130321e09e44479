// TODO: activation reference and dispatch
