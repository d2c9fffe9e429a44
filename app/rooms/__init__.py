"""Classroom rooms: a teacher drives, students follow, the class's drawings go to a shared gallery.

codes.py makes join codes and teacher secrets; store.py is the room state and its broadcasts in this process,
redis_store.py the same through Redis for several processes; outbox.py holds each connection's latest-wins
queue of broadcasts; session.py answers one connection's messages; export.py packs the gallery into a zip.
"""
