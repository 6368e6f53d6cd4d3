#pragma once

// The typed interfaces of the actors: what each one accepts is checked at compile time.

#include "messages/control.hpp"
#include "messages/records.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_behavior.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace kstream {

/// Whatever takes a partition's consumed batches: the parser in the stream job, the
/// aggregator in the stats view.
using batch_stage_actor = caf::typed_actor<caf::reacts_to<consumed_batch>>;

/// parsed_batch -> enriched_batch.
using classifier_actor = caf::typed_actor<caf::reacts_to<parsed_batch>>;

/// Where a pipeline's work ends up: the producer (or a test probe standing in for it).
using batch_sink_actor = caf::typed_actor<caf::reacts_to<enriched_batch>>;

/// Writes the enriched batches through its record sink; commits, and hands partitions over
/// on request.
using producer_actor = caf::typed_actor<caf::reacts_to<enriched_batch>,                           //
                                        caf::reacts_to<group_assignment>,                         //
                                        caf::replies_to<handover_request>::with<handover_result>, //
                                        caf::reacts_to<tick_atom>,                                //
                                        caf::reacts_to<stop_atom>>;

/// Receives the credit given back by the end of the pipeline.
using credit_actor = caf::typed_actor<caf::reacts_to<batch_delivered>>;

/// Reads through its record source; rewinds partitions on request.
using consumer_actor = caf::typed_actor<caf::reacts_to<batch_delivered>,                    //
                                        caf::replies_to<rewind_request>::with<rewind_done>, //
                                        caf::reacts_to<poll_atom>,                          //
                                        caf::reacts_to<stop_atom>>;

} // namespace kstream
