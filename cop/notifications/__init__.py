"""In-app notices, the mail that may go with them, and each person's choice of which kinds to get by email."""
