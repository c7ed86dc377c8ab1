"""The campaign application: the main job (a campaign over ROS with its run folder), the
in-process (headless) driver, and the link that drives a running sequencer over ROS."""
