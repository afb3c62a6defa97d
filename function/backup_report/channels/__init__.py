"""The channels a digest is posted to: `base` (the interface, the registry, the text and layout every
channel uses), `webhook` (the webhook shell and its answer reading), `http` (one post), one module each."""
