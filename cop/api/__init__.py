"""The JSON API, version 1: personal tokens, Bearer authentication, JSON errors and the OpenAPI document."""
