"""Where facts come from: the environment, the shared files, and the chain that ranks them."""
