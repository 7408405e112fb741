"""An ARI server that behaves as the measured Asterisk 22 does, for tests, load runs and the demo."""

from ccapp.ari.simulator.calls import AgentEndpoint
from ccapp.ari.simulator.control import SimCall
from ccapp.ari.simulator.middleware import RequestRecord
from ccapp.ari.simulator.playback import MediaConfig
from ccapp.ari.simulator.server import Simulator

__all__ = ["AgentEndpoint", "MediaConfig", "RequestRecord", "SimCall", "Simulator"]
