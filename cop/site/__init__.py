"""Pages that belong to the whole site: home, accessibility statement, admin index, errors."""
