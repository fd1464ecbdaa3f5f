"""The HTTP API: Litestar controllers that parse input, authenticate, make one SQL call and map errors."""
