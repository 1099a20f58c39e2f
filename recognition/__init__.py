"""Recognition of participation: attestations anyone can check, the cooperation links between
makers and organisations, and the network graph (app label `network`, see apps.py)."""
