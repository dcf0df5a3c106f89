"""The render engine: Pillow, numpy and ffmpeg only (never Qt, so worker processes stay lean).

Import what you need from its modules (``render.engine``, ``render.progress``, ...): this
package imports nothing, so that light users (the job store reading a progress event,
``simvid queue list``) do not load numpy and Pillow.
"""
