"""ament_python package aca_sim: installs the ament layout (resource marker, share/, lib/)."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "aca_sim"

setup(
    name=PACKAGE,
    version="0.2.0",
    description="ROS 2 + PyBullet simulator of the Perseverance Adaptive Caching Assembly",
    license="Apache-2.0",
    package_dir={"": "src"},
    packages=find_packages("src"),
    python_requires=">=3.10",
    install_requires=["setuptools"],
    zip_safe=False,
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", sorted(glob("launch/*.launch.xml"))),
        (f"share/{PACKAGE}/urdf", sorted(glob("urdf/*.xacro"))),
        (f"share/{PACKAGE}/rviz", sorted(glob("rviz/*.rviz"))),
        (f"share/{PACKAGE}/web", ["web/package.json", "web/package-lock.json"]),
        (f"share/{PACKAGE}/web/teleop", sorted(glob("web/teleop/*"))),
        (f"share/{PACKAGE}/config", sorted(glob("config/*.yaml") + glob("config/*.srdf"))),
        (f"share/{PACKAGE}/config/faults", sorted(glob("config/faults/*.yaml"))),
        (f"share/{PACKAGE}/config/campaigns", sorted(glob("config/campaigns/*.yaml"))),
    ],
    entry_points={
        "console_scripts": [
            "aca-sim = aca_sim.cli:main",
            "sim_node = aca_sim.nodes.sim_node:main",
            "sequencer_node = aca_sim.nodes.sequencer_node:main",
            "recorder_node = aca_sim.nodes.recorder_node:main",
            "campaign_node = aca_sim.nodes.campaign_node:main",
            "state_publisher_node = aca_sim.nodes.state_publisher_node:main",
            "teleop_node = aca_sim.nodes.teleop_node:main",
            "teleop_web_node = aca_sim.nodes.teleop_web_node:main",
        ],
    },
)
