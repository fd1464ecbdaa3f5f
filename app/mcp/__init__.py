"""`missions mcp`: the agent API as Model Context Protocol tools (stdio, and streamable HTTP at /mcp)."""
