"""The underwriters' manual-review queue: services, selectors and server-rendered pages."""
