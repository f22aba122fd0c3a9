"""Public feedback (民眾意見) and data requests, with response limits."""
