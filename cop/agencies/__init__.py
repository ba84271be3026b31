"""Agencies: the councils, departments and agencies people are members of, their email domains, and joining one."""
