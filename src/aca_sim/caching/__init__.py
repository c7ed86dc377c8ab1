"""The caching domain: tubes, seals, inventory, sequences, faults. No rclpy, no pybullet."""
