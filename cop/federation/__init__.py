"""Federation over ActivityPub: agencies are Group actors that other instances and Mastodon accounts follow."""
