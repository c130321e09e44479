// TODO: dropout reference and dispatch
