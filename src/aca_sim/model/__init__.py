"""The domain vocabulary shared by every layer: kinds, locations, records, error codes, steps.

Pure Python: no ROS, no physics engine. sim/, caching/, motion/ and nodes/ all speak it.
"""
