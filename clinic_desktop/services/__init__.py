"""Use cases: one unit of work per user action, permission check, audit event, validation.

Services return frozen DTOs (never ORM objects) and the ChangeSet of what they wrote.
"""
