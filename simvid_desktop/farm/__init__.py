"""The render farm: jobs go through a Redis server and RQ to ``simvid worker`` processes.

No Qt here. The desktop side (``client``, ``backend``) enqueues JSON payloads and reads
their progress back; the worker side (``worker``, ``tasks``, ``child``) renders them with the
same engine as the local pool. Only JSON crosses Redis, and workers run only the functions
named in ``protocol.ALLOWED_FUNCTIONS``.
"""
