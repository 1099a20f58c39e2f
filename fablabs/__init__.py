"""Territory data of the network: organisations (FabLabs, SMEs, collectives) and their places,
capabilities, relays and the departments each one covers."""
