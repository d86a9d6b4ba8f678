"""The packs stage: catalogue, units and lineage resolved into packs; comparing packs."""
