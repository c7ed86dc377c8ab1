"""The sim node's ROS faces over the physics thread: one action server per device step
(step_server), the SHA's FollowJointTrajectory controller (trajectory_server) and the
publisher of each tick's /clock, /joint_states and world topics (tick_publisher). They sit
between ros/ (plumbing that knows nothing of PyBullet) and nodes/ (the sim node composes them).
"""
