"""ROS 2 plumbing shared by the nodes and clients: executors, bounded waits, matching probes,
calls from other threads, parameters, message codecs, and the action server of the device
steps. No node lives here (see nodes/)."""
