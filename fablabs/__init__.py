"""The network directory: organisations (FabLabs, SMEs, collectives) and their places."""
