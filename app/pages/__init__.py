"""Pages that belong to no journey: start page, signed-in page."""
