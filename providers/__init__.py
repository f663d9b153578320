"""Third parties' protocols, one module each: what they send and expect, their signatures and error codes,
handed to the rest as plain values. Nothing here imports the product."""
