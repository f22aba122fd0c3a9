"""Datasets: national-standard metadata, the review chain, publishing and withdrawal."""
