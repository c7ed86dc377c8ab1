"""ament_python package aca_sim: installs the ament layout (resource marker, share/, lib/)."""

from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "aca_sim"
# The files of the teleop page's npm packages that it loads (web/node_modules, put there by
# `npm ci` in the set-up); a colcon install copies them so that its page works too.
WEB_VENDOR = [
    "three/LICENSE",
    "three/build/three.module.js",
    "three/examples/jsm/controls/OrbitControls.js",
    "three/examples/jsm/loaders/STLLoader.js",
    "three/examples/jsm/loaders/ColladaLoader.js",
    "three/examples/jsm/loaders/TGALoader.js",
    "urdf-loader/package.json",
    "urdf-loader/src/URDFClasses.js",
    "urdf-loader/src/URDFLoader.js",
]


def web_vendor_files() -> list[tuple[str, list[str]]]:
    """data_files entries for WEB_VENDOR, when `npm ci` has fetched them."""
    found: dict[str, list[str]] = {}
    for name in WEB_VENDOR:
        path = Path("web/node_modules") / name
        if path.is_file():
            found.setdefault(f"share/{PACKAGE}/web/node_modules/{Path(name).parent}", []).append(
                str(path)
            )
    return sorted(found.items())


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
        (f"share/{PACKAGE}", ["package.xml", ".setup_assistant"]),
        (f"share/{PACKAGE}/launch", sorted(glob("launch/*.launch.xml"))),
        (f"share/{PACKAGE}/urdf", sorted(glob("urdf/*.xacro"))),
        (f"share/{PACKAGE}/rviz", sorted(glob("rviz/*.rviz"))),
        (f"share/{PACKAGE}/web", ["web/package.json", "web/package-lock.json"]),
        (f"share/{PACKAGE}/web/teleop", sorted(glob("web/teleop/*"))),
        *web_vendor_files(),
        (f"share/{PACKAGE}/config", sorted(glob("config/*.yaml") + glob("config/*.srdf"))),
        (f"share/{PACKAGE}/config/faults", sorted(glob("config/faults/*.yaml"))),
        (f"share/{PACKAGE}/config/campaigns", sorted(glob("config/campaigns/*.yaml"))),
        (f"share/{PACKAGE}/config/studies", sorted(glob("config/studies/*.yaml"))),
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
            "servo_node = aca_sim.nodes.servo_node:main",
        ],
    },
)
