"""The directory: pages of the organisations and of the makers who opted in, the map and its
communes, and makers' requests to join an organisation (moved here from `makers`)."""
