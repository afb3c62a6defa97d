"""The channels a digest is posted to. Each has `send(message) -> Delivery`; posting is in transport."""
