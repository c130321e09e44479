// TODO: concat reference and dispatch
