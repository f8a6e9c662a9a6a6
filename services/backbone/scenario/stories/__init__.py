"""The demo's story as data: one JSON Lines file of plain events per child, and ``demo.json``.

Each ``*.jsonl`` file holds one child's events as the documented run recorded them (contracts/
events.md, the plain JSON form, one event per line). ``demo.json`` names that run's ``start``
(the raid), its ``as_of`` time and each child's label and file. ``backbone.scenario.recording``
reads them; ``backbone.scenario.story`` plays them at another start (docs/scenario.md).
"""
