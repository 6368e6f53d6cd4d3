// The record schema of the real data set (tools/expedia.avsc is the same text, for tests and docs).
#pragma once

namespace datagen {

inline constexpr const char* kExpediaSchema = R"({"type":"record","name":"topLevelRecord","fields":[)"
                                              R"({"name":"id","type":["long","null"]},)"
                                              R"({"name":"date_time","type":["string","null"]},)"
                                              R"({"name":"site_name","type":["int","null"]},)"
                                              R"({"name":"posa_container","type":["int","null"]},)"
                                              R"({"name":"user_location_country","type":["int","null"]},)"
                                              R"({"name":"user_location_region","type":["int","null"]},)"
                                              R"({"name":"user_location_city","type":["int","null"]},)"
                                              R"({"name":"orig_destination_distance","type":["double","null"]},)"
                                              R"({"name":"user_id","type":["int","null"]},)"
                                              R"({"name":"is_mobile","type":["int","null"]},)"
                                              R"({"name":"is_package","type":["int","null"]},)"
                                              R"({"name":"channel","type":["int","null"]},)"
                                              R"({"name":"srch_ci","type":["string","null"]},)"
                                              R"({"name":"srch_co","type":["string","null"]},)"
                                              R"({"name":"srch_adults_cnt","type":["int","null"]},)"
                                              R"({"name":"srch_children_cnt","type":["int","null"]},)"
                                              R"({"name":"srch_rm_cnt","type":["int","null"]},)"
                                              R"({"name":"srch_destination_id","type":["int","null"]},)"
                                              R"({"name":"srch_destination_type_id","type":["int","null"]},)"
                                              R"({"name":"hotel_id","type":["long","null"]}]})";

} // namespace datagen
