"""The responder: conversations.enriched -> answer, clarify or hand off -> conversations.replies / .handoffs.

``respond.py`` holds the per-message logic (model calls around the pure processors), ``state_store.py`` the
dialogue state that survives restarts, ``records.py`` the Avro datums it emits.
"""
