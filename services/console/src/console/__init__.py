"""The web console: server-rendered pages for caseworkers, approvers, finance and auditors over the services' APIs."""
