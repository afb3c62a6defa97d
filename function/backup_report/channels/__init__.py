"""The channels a digest is posted to: `base` (the interface and the registry), `http` (one post), one module each."""
