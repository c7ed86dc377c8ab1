"""aca_sim: ROS 2 + PyBullet simulator of the Perseverance Adaptive Caching Assembly."""

__version__ = "0.2.0"
