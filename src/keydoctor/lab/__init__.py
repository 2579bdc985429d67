"""The embedded sandbox: AWS failure scenarios rebuilt on a local moto server."""
