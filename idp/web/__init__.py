"""HTTP: thin Starlette handlers that read a request, call one function, and answer."""
